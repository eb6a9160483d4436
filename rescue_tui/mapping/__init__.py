"""Which disk of the saved layout goes onto which disk present now, and how sizes adapt."""
