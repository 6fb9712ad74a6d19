"""Local stand-ins for the services trialwire talks to (GlobeNewswire, Slack)."""
