"""Documents and their versions, members' copies, notes, the stamp and the PDF check."""
