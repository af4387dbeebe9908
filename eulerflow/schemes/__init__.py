"""Backend-neutral numerical building blocks: limiters, MUSCL fluxes, SSP Runge-Kutta tables."""
