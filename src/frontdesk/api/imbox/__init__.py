"""The ImBox tickets API dialect: listTickets, grabTicket, insertTicket, listTicketsEmails."""
