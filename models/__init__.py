"""The domain, pure: tables, enums, transition tables, clocks, the Protocol's decisions about
suspensions and withdrawals, the Appendix J form and the domain events. Imports nothing of ours
but `models`, and does no I/O beyond the table definitions."""
