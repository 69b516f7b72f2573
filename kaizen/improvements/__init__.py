"""One improvement card: its page, in-place edits, its reflection, and filing new cards."""
