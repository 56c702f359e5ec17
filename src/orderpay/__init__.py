"""orderpay: card payments for a food-ordering marketplace, through Stripe and Stripe Connect."""
