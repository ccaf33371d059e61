"""Views of the log: pipeline, meetings, drafts and referrals, rebuilt from it at will."""
