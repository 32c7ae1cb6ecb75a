"""The durable history: SQLite connection and migrations, the store sessions write to, queries."""
