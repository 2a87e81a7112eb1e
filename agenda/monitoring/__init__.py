"""The monitoring board (theo dõi, đôn đốc): the programme's and the tasks' figures per agency and
month, what is at risk, the lists behind every number, and the monthly report with its PDF.
See docs/monitoring.md.

Above the tasks, the programme and the meetings (it reads all three; attaching the report adds
an agenda item with its paper). Every figure is a SQL aggregate; restricted tasks count in the
figures but never show their title or code to those outside their audience.
"""
