"""The plant settings page (admins only): the plant's time zone."""
