"""Alerts, on-call shifts and deliveries arrive here with the reminder and alert work."""
