"""Who may see what, where the answer needs several subsystems. See docs/security.md.

A paper is visible while its item is on an agenda the viewer may see, or once an opinion ballot on
it was sent to the viewer's member: so this sits above meetings and polls.
"""
