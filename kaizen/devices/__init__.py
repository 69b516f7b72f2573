"""Kiosk tablets and TV display links: their pages, and the kiosk mode every request obeys."""
