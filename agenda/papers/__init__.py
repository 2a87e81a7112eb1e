"""Documents and their versions, members' copies and read receipts, notes, the stamp and the PDF
check. See docs/papers.md.

Below the programme and the meetings: these modules know the paper tables only. Who may read a
paper depends on meetings and polls, so it is agenda/access/papers.py; adding a paper tells the
meetings, so it is agenda/meetings/dossier.py.
"""
