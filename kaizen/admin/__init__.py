"""Running the plant's accounts, API tokens and audit trail from pages (admins only)."""
