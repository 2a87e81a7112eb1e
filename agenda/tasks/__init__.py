"""Tasks (nhiệm vụ): work the Government assigns, from a conclusion, an opinion ballot or a
directive, followed until done. See docs/follow-through.md."""
