/**
 * Events the CRM webhook may carry: the config schema offers them, the webhook subscribes to them.
 * On its own so the daemon's main thread, which never loads the schema, can read the list.
 */
export const WEBHOOK_EVENTS = ['call.ended', 'ticket.created', 'ticket.updated', 'survey.answered', 'sms.sent', 'sms.status', 'call.originated', 'campaign.contact', 'voicemail.recorded'] as const;
