"""Celery workers: toxicity and spam scoring, the policy decision, webhook delivery."""
