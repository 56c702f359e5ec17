// The checkout page: Stripe.js turns the card into a token, orderpay's public API charges it.
//
// Money safety: one payment attempt = one Idempotency-Key (and one request body), kept for
// every retry of that attempt (a 503, a lost connection), so a retry can only ever replay or
// finish the same payment. The Pay button is disabled, and ignored, while anything is in
// flight. A decline or a failed 3-D Secure ends the attempt: the next card is a new attempt.
//
// The API is called with the HttpOnly checkout session cookie (the customer's bearer token
// is never in the browser) and the X-Orderpay-Checkout header the API requires with it.
'use strict';

(function () {
  const form = document.getElementById('checkout');
  if (!form) return;  // nothing to pay: the order is paid or cancelled
  if (typeof Stripe !== 'function') {
    // Stripe.js did not load (offline, blocked): the Pay button stays disabled.
    document.getElementById('message').hidden = false;
    document.getElementById('message').className = 'message message-error';
    document.getElementById('message-title').textContent = 'The card form could not load.';
    document.getElementById('message-text').textContent =
      'Check your connection and reload this page. Nothing was charged.';
    return;
  }

  const config = form.dataset;
  const stripe = Stripe(config.publishableKey);
  const isLocalStripe = config.stripeLocal === 'true';
  const payButton = document.getElementById('pay');
  const payLabel = document.getElementById('pay-label');
  const newCardPanel = document.getElementById('new-card');
  const saveCard = document.getElementById('save-card');
  const message = document.getElementById('message');
  const messageTitle = document.getElementById('message-title');
  const messageText = document.getElementById('message-text');
  const payLabelText = payLabel.textContent;
  let idleLabel = payLabelText;  // what the button says when nothing is in flight

  const FINAL_STATES = ['succeeded', 'failed', 'canceled', 'partially_refunded', 'refunded',
    'disputed'];
  const DECLINE_ADVICE = 'Nothing was charged. Try another card, or contact your bank.';
  const MAX_RETRIES = 8;          // of one request, on 503 / 409 in use / lost connection
  const FOLLOW_SECONDS = 60;      // polling a payment that Stripe is still settling

  let attempt = null;   // {key, body}: the payment attempt under way, if any
  let busy = false;

  // -- the card field --------------------------------------------------------------------

  const elements = stripe.elements();
  const card = elements.create('card', {
    hidePostalCode: false,
    style: {
      base: {
        fontSize: '16px', color: '#1f2933', '::placeholder': {color: '#8a94a0'},
        fontFamily: '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Arial, sans-serif',
      },
      invalid: {color: '#b42318'},
    },
  });
  card.mount('#card-element');
  if (isLocalStripe) labelLocalStripeInputs();
  card.on('change', (event) => {
    if (event && event.error) showMessage('error', '', event.error.message);
    else if (!busy) hideMessage();
  });

  // The local Stripe's fake card field is five bare inputs named by placeholders such as
  // "exp_month": give them the labels a customer expects (its behaviour is unchanged).
  function labelLocalStripeInputs() {
    const names = {
      number: ['Card number', '4242 4242 4242 4242', 'cc-number'],
      exp_month: ['Expiry month', 'MM', 'cc-exp-month'],
      exp_year: ['Expiry year', 'YY', 'cc-exp-year'],
      cvc: ['Security code', 'CVC', 'cc-csc'],
      postal_code: ['Postcode', 'Postcode', 'postal-code'],
    };
    for (const input of document.querySelectorAll('#card-element input')) {
      const name = names[input.getAttribute('placeholder')];
      if (!name) continue;
      input.setAttribute('aria-label', name[0]);
      input.setAttribute('placeholder', name[1]);
      input.setAttribute('autocomplete', name[2]);
      input.setAttribute('inputmode', name[2] === 'postal-code' ? 'text' : 'numeric');
      input.classList.add('local-' + name[2]);
    }
  }

  // -- choosing a card -------------------------------------------------------------------

  function selectedMethod() {
    const checked = form.querySelector('input[name="method"]:checked') ||
      form.querySelector('input[name="method"]');
    return checked.value;
  }

  form.addEventListener('change', (event) => {
    if (event.target.name !== 'method') return;
    newCardPanel.hidden = selectedMethod() !== 'new';
    if (!busy) hideMessage();
  });

  // -- paying ------------------------------------------------------------------------------

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;  // a double click, or Enter pressed twice: one attempt only
    setBusy(true, 'Processing…');
    try {
      await pay();
    } catch (error) {
      console.error(error);
      showMessage('error', 'Something went wrong.',
        'Your card was not charged twice. Press Pay to check the payment again.');
    } finally {
      setBusy(false);
    }
  });

  async function pay() {
    if (attempt !== null && attempt.resume) {
      // A payment already waits for 3-D Secure: finish it (a new one would be refused).
      const paymentId = attempt.resume;
      attempt = null;
      idleLabel = payLabelText;
      form.classList.remove('is-resuming');
      await follow({id: paymentId, attributes: {state: 'requires_action'}});
      return;
    }
    if (attempt === null) {
      attempt = await newAttempt();
      if (attempt === null) return;
    }
    hideMessage();
    const answer = await send('POST', '/api/v1/payments', attempt.key, {
      data: {
        type: 'payments',
        attributes: attempt.body,
        relationships: {order: {data: {type: 'orders', id: config.orderId}}},
      },
    });
    await settle(answer);
  }

  // A new attempt: the chosen saved card, or the new card turned into a token by Stripe.js
  // (and saved first when asked). Null, with the reason shown, when there is nothing to pay.
  async function newAttempt() {
    const method = selectedMethod();
    if (method !== 'new') {
      return {key: uuid(), body: {stripe_payment_method_id: method}};
    }
    const token = await tokenizeCard();
    if (token.error) {
      showMessage('error', 'Check your card details.', token.error.message ||
        'The card details are incomplete.');
      return null;
    }
    if (!saveCard.checked) return {key: uuid(), body: {stripe_token: token.id}};

    setBusy(true, 'Saving your card…');
    const saved = await send('POST', '/api/v1/cards', uuid(), {
      data: {type: 'cards', attributes: {stripe_token: token.id}},
    });
    if (saved.status === 200 || saved.status === 201) {
      setBusy(true, 'Processing…');
      return {key: uuid(), body: {
        stripe_payment_method_id: saved.document.data.attributes.stripe_payment_method_id}};
    }
    showFailure(saved, 'Your card could not be saved.');
    return null;
  }

  // Stripe.js's PaymentMethod (pm_…); the local Stripe's fake Stripe.js has no
  // createPaymentMethod, so there the card becomes a token (tok_…), which orderpay takes too.
  async function tokenizeCard() {
    try {
      const result = await stripe.createPaymentMethod({type: 'card', card: card});
      if (result && result.paymentMethod) return {id: result.paymentMethod.id};
      if (result && result.error) return {error: result.error};
      const token = await stripe.createToken(card);
      if (token && token.token) return {id: token.token.id};
      return {error: (token && token.error) || {}};
    } catch (error) {
      return {error: {message: 'The card details are incomplete.'}};
    }
  }

  // What Create Payment answered (after its retries), shown to the customer.
  async function settle(answer) {
    const payment = answer.document && answer.document.data;
    if (answer.status === 201 && payment) {
      await follow(payment);
      return;
    }
    const error = firstError(answer);
    if (answer.status === 409 && error.code === 'order_not_payable') {
      window.location.reload();  // paid or cancelled meanwhile: the page shows which
      return;
    }
    if (answer.status === 409 && error.code === 'payment_in_progress') {
      showMessage('info', 'A payment for this order is already in progress.',
        'This page will show its result in a moment.');
      window.setTimeout(() => window.location.reload(), 3000);
      return;
    }
    if (answer.status === 402 || answer.status === 422) attempt = null;  // this attempt is over
    showFailure(answer);
  }

  // A payment that exists: 3-D Secure if the bank asks for it, then its final state.
  async function follow(payment) {
    if (payment.attributes.state === 'requires_action') {
      payment = await authenticate(payment);
    }
    if (!FINAL_STATES.includes(payment.attributes.state)) {
      setBusy(true, 'Confirming with your bank…');
      payment = await poll(payment.id);
    }
    const state = payment.attributes.state;
    if (state === 'succeeded') {
      showPaid(payment);
    } else if (state === 'failed' || state === 'canceled') {
      attempt = null;
      const a = payment.attributes;
      if (a.failure_code === 'payment_intent_authentication_failure') {
        showMessage('error', 'Your bank could not confirm this payment.',
          (a.failure_message ? a.failure_message + ' ' : '') +
          'Nothing was charged: try again, or use another card.');
      } else {
        showMessage('error', a.failure_message || 'Your card was declined.', DECLINE_ADVICE);
      }
      focusCardChoice();
    } else if (state === 'requires_action') {
      showMessage('info', 'Your bank is still waiting for you.',
        'Confirm the payment with your bank to finish it.');
      awaitBank(payment.id);
    } else {
      showMessage('info', 'Your payment is still being processed.',
        'Nothing more is needed: press Pay in a moment to see its result. ' +
        'You will not be charged twice.');
    }
  }

  // Stripe.js runs the bank's 3-D Secure step with the PaymentIntent's client_secret.
  async function authenticate(payment) {
    setBusy(true, 'Waiting for your bank…');
    let secret = payment.attributes.client_secret;
    if (!secret) {
      const fresh = await send('GET', '/api/v1/payments/' + payment.id);
      if (fresh.status !== 200) return payment;
      payment = fresh.document.data;
      secret = payment.attributes.client_secret;
      if (payment.attributes.state !== 'requires_action' || !secret) return payment;
    }
    try {
      if (typeof stripe.handleNextAction === 'function') {
        await stripe.handleNextAction({clientSecret: secret});
      } else {
        await stripe.confirmCardPayment(secret);  // the local Stripe's fake Stripe.js
      }
    } catch (error) {
      console.error(error);
    }
    // Whatever Stripe.js said, orderpay's own record (refreshed from Stripe) decides.
    setBusy(true, 'Confirming with your bank…');
    return poll(payment.id, 3);
  }

  // GET the payment until it is final; orderpay refreshes it from Stripe on each read.
  // `patience` bounds how many reads may still say requires_action.
  async function poll(paymentId, patience = Infinity) {
    const deadline = Date.now() + FOLLOW_SECONDS * 1000;
    let last = null;
    for (let reads = 0; Date.now() < deadline; reads++) {
      const answer = await send('GET', '/api/v1/payments/' + paymentId);
      if (answer.status === 200) {
        last = answer.document.data;
        const state = last.attributes.state;
        if (FINAL_STATES.includes(state)) return last;
        if (state === 'requires_action' && reads + 1 >= patience) return last;
      }
      await sleep(reads < 5 ? 700 : 2000);
    }
    return last || {id: paymentId, attributes: {state: 'processing'}};
  }

  // One API request, retried with the same Idempotency-Key and body while the answer is
  // "not yet" (503 + Retry-After, 409 idempotency_key_in_use) or lost (no connection).
  async function send(method, path, key, document) {
    const headers = {'Accept': 'application/vnd.api+json',
      'X-Orderpay-Checkout': config.userId};
    if (document !== undefined) headers['Content-Type'] = 'application/vnd.api+json';
    if (key) headers['Idempotency-Key'] = key;
    const body = document === undefined ? undefined : JSON.stringify(document);
    for (let tries = 0; ; tries++) {
      let response;
      try {
        response = await fetch(path, {method, headers, body, credentials: 'same-origin',
          cache: 'no-store'});
      } catch (error) {
        if (tries >= MAX_RETRIES) return {status: 0, document: null};
        setBusy(true, 'Reconnecting…');
        await sleep(Math.min(1000 * 2 ** tries, 8000));
        continue;
      }
      const answer = {status: response.status, document: await response.json().catch(() => null)};
      const code = firstError(answer).code;
      const again = response.status === 503 ||
        (response.status === 409 && code === 'idempotency_key_in_use');
      if (!again || tries >= MAX_RETRIES) return answer;
      const wait = retryAfter(response);
      setBusy(true, method === 'GET' ? 'Confirming with your bank…'
        : `Still processing… checking again in ${wait} s`);
      await sleep(wait * 1000);
    }
  }

  // -- resuming a payment left in flight (reload, second tab) ------------------------------

  async function resume(paymentId) {
    setBusy(true, 'Checking your payment…');
    try {
      const answer = await send('GET', '/api/v1/payments/' + paymentId);
      if (answer.status !== 200) return;
      const payment = answer.document.data;
      if (payment.attributes.state === 'requires_action') {
        showMessage('info', 'Your bank needs you to confirm this payment.',
          'Nothing more to type: confirm it with your bank to finish paying.');
        awaitBank(payment.id);
      } else {
        await follow(payment);
      }
    } finally {
      setBusy(false);
    }
  }

  // -- showing -----------------------------------------------------------------------------

  // A payment waits for 3-D Secure: the button finishes it, and there is no card to choose.
  function awaitBank(paymentId) {
    attempt = {resume: paymentId};
    idleLabel = 'Confirm with your bank';
    form.classList.add('is-resuming');
  }

  function setBusy(on, text) {
    busy = on;
    payButton.disabled = on;
    payButton.classList.toggle('is-busy', on);
    payButton.setAttribute('aria-busy', on ? 'true' : 'false');
    payLabel.textContent = on ? (text || 'Processing…') : idleLabel;
    for (const input of form.querySelectorAll('input')) input.disabled = on;
  }

  function showMessage(kind, title, text) {
    message.hidden = false;
    message.className = 'message message-' + kind;
    messageTitle.textContent = title;
    messageText.textContent = text;
  }

  function hideMessage() {
    message.hidden = true;
  }

  function showFailure(answer, fallbackTitle = '') {
    const error = firstError(answer);
    if (answer.status === 0) {
      showMessage('error', 'We could not reach the server.',
        'Check your connection and press Pay again: it continues the same payment, ' +
        'so you will not be charged twice.');
    } else if (answer.status === 401) {
      showMessage('error', 'Your checkout session has expired.',
        'Open the checkout link you were sent again to pay this order.');
    } else if (answer.status === 402) {
      showMessage('error', error.detail || 'Your card was declined.', DECLINE_ADVICE);
    } else if (answer.status === 503) {
      showMessage('info', 'Your payment is still being processed.',
        'Press Pay in a moment to see its result: it continues the same payment, ' +
        'so you will not be charged twice.');
    } else {
      showMessage('error', fallbackTitle || error.title || 'The payment did not go through.',
        error.detail || 'Please try again.');
    }
    if (answer.status === 402) focusCardChoice();
  }

  function showPaid(payment) {
    const a = payment.attributes;
    document.getElementById('paid-amount').textContent = formatMoney(a.amount_cents, a.currency);
    document.getElementById('paid-card').textContent = a.card_last4
      ? ` with ${brandName(a.card_brand)} •••• ${a.card_last4}` : '';
    const state = document.getElementById('order-state');
    state.textContent = 'Paid';
    state.className = 'pill pill-paid';
    form.hidden = true;
    const paid = document.getElementById('paid');
    paid.hidden = false;
    paid.dataset.paymentId = payment.id;
    paid.focus();
  }

  function focusCardChoice() {
    if (selectedMethod() === 'new') {
      const first = document.querySelector('#card-element input');
      if (first) window.setTimeout(() => first.focus(), 0);
      else if (card.focus) card.focus();
    }
  }

  // -- small helpers -----------------------------------------------------------------------

  function firstError(answer) {
    const errors = answer.document && answer.document.errors;
    return (errors && errors[0]) || {};
  }

  function retryAfter(response) {
    const seconds = parseInt(response.headers.get('Retry-After'), 10);
    return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 30) : 2;
  }

  function formatMoney(cents, currency) {
    try {
      return new Intl.NumberFormat('en', {style: 'currency', currency: currency.toUpperCase()})
        .format(cents / 100);
    } catch (error) {
      return (cents / 100).toFixed(2) + ' ' + currency.toUpperCase();
    }
  }

  function brandName(brand) {
    const names = {visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express'};
    if (!brand) return 'Card';
    return names[brand.toLowerCase()] || brand.charAt(0).toUpperCase() + brand.slice(1);
  }

  function sleep(ms) {
    return new Promise((resolve) => window.setTimeout(resolve, ms));
  }

  // crypto.randomUUID needs a secure context (https, or 127.0.0.1/localhost); a plain-http
  // address on a LAN gets the same 122 random bits from getRandomValues.
  function uuid() {
    if (window.crypto.randomUUID) return window.crypto.randomUUID();
    const b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  setBusy(false);
  if (config.livePaymentId) resume(config.livePaymentId);
}());
