"""The screen: a local web page for the person exercising, the caregiver and the therapist."""
