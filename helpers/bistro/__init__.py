"""The Lambda Bistro domain shared by notebooks 04-08: its bounded contexts, events and deploy helpers."""
