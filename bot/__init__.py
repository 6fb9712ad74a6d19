"""trialwire: clinical-trial news from press-release wires, as events."""

__version__ = "0.1.0"
