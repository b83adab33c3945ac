"""Process and trajectory rewards: step splitting, PRMs, Monte Carlo step values, agent rewards."""
