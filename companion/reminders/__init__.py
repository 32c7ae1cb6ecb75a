"""Daily reminders: pure timing and conversation, the scheduler adapter, the daemon loop."""
