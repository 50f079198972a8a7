"""The course as a website (`torchstart docs`)."""
