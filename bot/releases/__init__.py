"""Releases: from the wire (or a file) to a ReleaseReceived event."""
