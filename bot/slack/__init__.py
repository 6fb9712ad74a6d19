"""The Slack adapter: message texts, the Web API client, delivery, the Bolt app."""
