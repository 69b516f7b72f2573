"""Webhook admin pages: register addresses for events, see and resend their deliveries."""
