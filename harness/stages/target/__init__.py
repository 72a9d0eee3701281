"""Time to target, confirmed: each comparison run's candidate T judged again on the run's own
episodes, so that the classification error of T is known (DESIGN.md section 4)."""
