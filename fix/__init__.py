"""FIX connectivity: the QuickFIX gateway the bot trades through and the exchange simulator."""
