"""Shop-floor observations: the tablet entry form, the list, photos and QR codes."""
