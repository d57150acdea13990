"""The pure core of wirefeed: no Kafka in here, everything testable offline."""
