/**
 * Support stories the demo customers tell. Each line may use {order}, {product}, {amount},
 * {city} and {agent}; the generator fills them in.
 */
export interface Topic {
  subject: string
  opening: string[]
  followUp: string[]
  agentReply: string[]
  agentNote: string[]
  closing: string[]
  labels: string[]
}

export const TOPICS: Topic[] = [
  {
    subject: 'Where is my order {order}?',
    opening: [
      'Hi, my order {order} was supposed to arrive on Monday and the tracking has not moved since.',
      'Hello — I ordered the {product} two weeks ago (order {order}) and still nothing. Can you check?',
      'Any update on order {order}? The tracking page says "label created" for five days now.',
    ],
    followUp: [
      'Thanks. Is there any way to get it before the weekend?',
      'The courier site still shows nothing new.',
      'Could you send it to my office in {city} instead?',
    ],
    agentReply: [
      'Sorry about the wait! I checked with the warehouse: order {order} left yesterday and should reach you within 2 business days.',
      'I can see the parcel is held at the {city} depot. I have asked the carrier to release it today.',
      'Thanks for your patience — I have upgraded the shipping on {order} to express at no cost.',
    ],
    agentNote: [
      'Carrier ticket opened for {order}; follow up Thursday if still stuck.',
      'Second late-delivery contact from this customer this quarter.',
    ],
    closing: ['It arrived this morning, thank you!', 'Got it, all good now.'],
    labels: ['shipping', 'delivery-delay'],
  },
  {
    subject: 'Refund for {product}',
    opening: [
      'I returned the {product} last week and have not seen the refund of {amount} yet.',
      'Hi, I would like a refund for the {product}, it stopped working after three days.',
      'Can I get my money back for order {order}? The {product} is not what I expected.',
    ],
    followUp: [
      'The bank says nothing is pending on their side.',
      'Do I need to print a return label?',
      'How long does the refund usually take?',
    ],
    agentReply: [
      'I have issued the refund of {amount} to your original payment method; it usually shows in 3–5 business days.',
      'No problem — I emailed you a prepaid return label. Once it is scanned we refund right away.',
      'I can confirm the return for {order} was received, the refund is on its way.',
    ],
    agentNote: ['Refund approved under the 30-day policy.', 'Customer asked twice — prioritise.'],
    closing: ['Refund received, thanks for sorting it out.', 'Perfect, thank you.'],
    labels: ['refund', 'billing'],
  },
  {
    subject: 'Cannot log in to my account',
    opening: [
      'I keep getting "invalid password" even after resetting it.',
      'The reset link you sent me says it has expired.',
      'My account is locked after too many attempts, please help.',
    ],
    followUp: ['Still not working, same error.', 'I am using the app on my phone, if that matters.'],
    agentReply: [
      'I have unlocked your account and sent a fresh reset link, valid for the next hour.',
      'Could you try clearing the app cache and signing in again? I have also reset the failed-attempt counter.',
    ],
    agentNote: ['Possible SSO misconfiguration, flagged to engineering.'],
    closing: ['I am in, thank you!', 'That did it, cheers.'],
    labels: ['account', 'login'],
  },
  {
    subject: 'Question about the {product}',
    opening: [
      'Does the {product} come with a warranty?',
      'Is the {product} compatible with the older model?',
      'Do you ship the {product} to {city}?',
    ],
    followUp: ['And how long is delivery?', 'Great, is there a discount for two?'],
    agentReply: [
      'Yes — the {product} has a two-year warranty that covers manufacturing defects.',
      'It is fully compatible; you only need the adapter that ships in the box.',
      'We ship to {city} in 3–4 days, free above {amount}.',
    ],
    agentNote: ['Pre-sales lead, mention the bundle offer.'],
    closing: ['Thanks, I will place the order.', 'Good to know, thank you.'],
    labels: ['pre-sales'],
  },
  {
    subject: 'Charged twice for order {order}',
    opening: [
      'I was charged {amount} twice for order {order}.',
      'My card statement shows two payments for the same order {order}.',
    ],
    followUp: ['Attached a screenshot of the statement.', 'When will the second charge be reversed?'],
    agentReply: [
      'You are right, the payment provider captured twice. I voided the duplicate charge of {amount}.',
      'I have refunded the duplicate payment; you will get a confirmation email shortly.',
    ],
    agentNote: ['Duplicate capture — link to incident PAY-2231.'],
    closing: ['Confirmed, only one charge now. Thanks.'],
    labels: ['billing', 'payments'],
  },
  {
    subject: 'Change delivery address for {order}',
    opening: [
      'I moved to {city}, can you change the address on order {order}?',
      'Please deliver order {order} to my neighbour, I will be away.',
    ],
    followUp: ['Is it too late to change it?'],
    agentReply: [
      'Done — order {order} will now go to your new address in {city}.',
      'I have added a delivery note for the courier.',
    ],
    agentNote: ['Address changed before dispatch, no carrier fee.'],
    closing: ['Thank you so much!'],
    labels: ['shipping'],
  },
  {
    subject: 'Subscription renewal',
    opening: [
      'My subscription renewed at {amount} but I thought I had cancelled it.',
      'How do I switch my plan to yearly billing?',
    ],
    followUp: ['Can I keep access until the end of the month?'],
    agentReply: [
      'I have cancelled the renewal and refunded {amount}; your access stays active until the end of the period.',
      'I switched you to yearly billing; the new price applies from the next invoice.',
    ],
    agentNote: ['Churn risk — offered 20% retention discount.'],
    closing: ['Thanks for the quick help.'],
    labels: ['subscription', 'billing'],
  },
]

export const PRODUCTS = [
  'Aero kettle',
  'Nimbus headphones',
  'Trail backpack 30L',
  'Lumen desk lamp',
  'Pulse smartwatch',
  'Orbit blender',
  'Cedar standing desk',
  'Echo speaker mini',
]
