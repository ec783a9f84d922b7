"""One router per resource; ``darkfleet.web.app`` includes them all."""
