"""Carrier tracking providers: one plain-Python client per
``delivery.carrier.oms_tracking_provider`` (no ORM state)."""


class TrackingError(Exception):
    """The tracking provider refused a call or could not be reached (message is
    user-facing)."""
