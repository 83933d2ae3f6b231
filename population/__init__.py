"""Many cases at once, built on the engine: batch decisions, the real-name
checks across cases, what-if over a population, the quarterly and yearly
reports, and synthetic cases to try them on."""
