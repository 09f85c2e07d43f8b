"""People: what an account holds about one person, across tickets, mail and chat.

Merging two contacts, a contact's tickets and chats, and the GDPR duties: exporting
everything held about a contact, and erasing it. It sits above chat and mail, since a
person's data runs through every channel.
"""
