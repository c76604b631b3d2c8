"""One router per kind of page."""
