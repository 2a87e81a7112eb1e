"""Opinion ballots outside a session: tables and reads, their life, the bell's messages about them,
what each viewer sees and the report. See docs/opinion-polls.md.

Beside the meetings (neither imports the other), above the programme and the bell.
"""
