"""Who may see what, where the answer needs several subsystems (papers follow meetings and polls)."""
