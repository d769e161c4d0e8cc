"""The Protocol's matters, one module each: the register (agencies, contacts, chairs), the
arrangements (drafting, approval, reviews), access and training, disposal, suspensions and
withdrawals, and the duties partners owe each other (consent, data quality, incidents, sharing
decisions, onward sharing, information requests), with the monitoring group's report. Each
module raises and settles its matter through the unit of work; what every duty repeats
(chasing, what waits on whom, links, listings) is the machinery beside this package in tasks/."""
