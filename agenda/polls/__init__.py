"""Opinion polls by ballot outside a session, their views, reminders and report."""
