"""Surveys: CSAT, NPS and effort questionnaires, sending, answers and response rates."""
