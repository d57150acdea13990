"""Kafka edges of wirefeed: topics, the Faust app and its agents, producers, the dev broker."""
