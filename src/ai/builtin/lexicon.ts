/**
 * Phrase lists for German, English, French and Italian, matched against lower-cased text.
 * An entry is a regular-expression fragment that must start at a word start; it matches as a
 * stem (so `rechnung` also finds `rechnungen`) unless it ends in `#`, which means "word ends here".
 * Keep entries specific: each one here moves real mail between the matrix cells.
 */

/** Matching order: at one position the first group wins, so specific groups come before general ones. */
export const SIGNAL_GROUPS = [
  'finalNotice',
  'dunning',
  'autoPayment',
  'spam',
  'payment',
  'deadline',
  'fyi',
  'formula',
  'noRush',
  'request',
  'urgent',
  'legal',
  'meeting',
  'escalation',
  'transactional',
  'unsubscribe',
  'personal',
] as const;
export type SignalGroup = (typeof SIGNAL_GROUPS)[number];

export const LEXICON: Record<SignalGroup, string[]> = {
  // Words that say a date is a limit (also cues for dates.ts).
  deadline: [
    // de
    'frist', 'deadline', 'spätestens', 'fällig', 'abgabetermin', 'einreichen bis', 'bis zum#', 'bis ende#',
    'ablauf der', 'läuft .{0,20}ab#',
    // en
    'due date', 'due by', 'due on', 'is due#', 'are due#', 'no later than', 'by end of', 'by the end of', 'cut-?off', 'expires? on',
    // fr
    'date limite', 'échéance', 'au plus tard', 'délai', "d'ici (?:le|la|à)#", 'avant le#', 'avant la fin',
    // it
    'scadenza', 'scade#', 'scadono#', 'entro (?:e non oltre )?(?:il|la|le|lo|i|l\'|\\d)', 'non oltre', 'termine ultimo', 'entro fine',
  ],
  request: [
    // de
    'bitte#', 'bitten sie', 'könnten sie', 'können sie', 'könntest du', 'kannst du', 'würden sie', 'würdest du', 'wären sie so',
    'ich bitte', 'wir bitten', 'um rückmeldung', 'um antwort', 'um bestätigung', 'um freigabe', 'gib mir bescheid', 'geben sie (?:mir|uns) bescheid',
    'bräuchte', 'benötige', 'benötigen (?:wir|ich)', 'brauche (?:ich|noch)', 'unterschreiben', 'unterzeichnen', 'freigeben', 'zurücksenden',
    'zu überweisen', 'bitte überweisen',
    // en
    'please#', 'pls#', 'could you', 'can you', 'would you', 'will you', 'let me know', 'let us know', 'i need you', 'we need you',
    'kindly#', 'your approval', 'please confirm', 'please review', 'please sign', 'awaiting your', 'need your',
    'get back to me', 'i would appreciate', 'would be great if you', 'i need#', 'we need#',
    // fr
    'merci de (?:me|nous|bien|le|la|les|l\'|vous|valider|confirmer|signer|répondre|renvoyer|envoyer|transmettre|régler|faire)',
    'pourriez-vous', 'pouvez-vous', 'pourrais-tu', 'peux-tu', 'veuillez', 'je vous prie', 'nous vous prions', 'merci de bien vouloir',
    'pourriez vous', 'pouvez vous', 'dans l\'attente de votre', 'j\'ai besoin', 'nous avons besoin', 'à signer', 'à valider', 'votre validation',
    'votre accord', 'tenez-moi au courant', 'faites-moi savoir',
    // it
    'per favore', 'potresti', 'potreste', 'potrebbe', 'puoi#', 'può#', 'la prego', 'ti prego', 'vi preghiamo', 'si prega', 'la preghiamo',
    'mi faccia sapere', 'fammi sapere', 'fatemi sapere', 'attendo (?:un |una |il |la |vostr|sua|tuo|tua)', 'ho bisogno', 'abbiamo bisogno',
    'da firmare', 'firmare#', 'la sua approvazione', 'conferma(?:re)? (?:la|il|entro)', 'vi chiedo', 'le chiedo', 'ti chiedo',
  ],
  urgent: [
    'dringend', 'eilt', 'sofort#', 'umgehend', 'so schnell wie möglich', 'schnellstmöglich', 'höchste priorität', 'notfall',
    'urgent#', 'urgently', 'asap#', 'as soon as possible', 'immediately', 'high priority', 'time-sensitive', 'time sensitive', 'emergency',
    'right away',
    'urgence', 'en urgence', 'dès que possible', 'au plus vite', 'immédiatement', 'sans délai', 'prioritaire',
    'urgente#', 'urgenti#', 'urgentemente', 'al più presto', 'quanto prima', 'immediatamente', 'subito#', 'priorità alta', 'massima priorità',
  ],
  payment: [
    'rechnung', 'zahlung', 'überweisung', 'rechnungsbetrag', 'betrag von', 'offener betrag', 'iban#', 'einzahlungsschein', 'qr-rechnung', 'zahlbar',
    'invoice', 'payment', 'amount due', 'balance due', 'outstanding balance', 'remittance', 'bank transfer', 'billing',
    'facture', 'paiement', 'montant', 'virement', 'règlement', 'solde dû', 'à régler',
    'fattura', 'pagamento', 'importo', 'bonifico', 'saldo#', 'da pagare',
  ],
  // Payments that need no action: direct debits, already paid, receipts.
  autoPayment: [
    'lastschrift', 'wird (?:automatisch )?(?:von ihrem konto )?abgebucht', 'bereits bezahlt', 'zahlung erhalten', 'zahlungsbestätigung', 'quittung',
    'wurde belastet', 'wurde erfolgreich', 'bezahlt mit', 'bezahlt per', 'paid with', 'paid by', 'amount paid', 'date paid',
    'payé par', 'payé avec', 'pagato con', 'pagato tramite',
    'direct debit', 'will be debited', 'automatically charged', 'has been charged', 'payment received', 'receipt for', 'your receipt', 'paid in full',
    'thank you for your payment', 'auto-?pay',
    'prélèvement', 'sera prélevé', 'paiement reçu', 'reçu de paiement', 'déjà réglé', 'a bien été reçu', 'débité',
    'addebito diretto', 'addebitat', 'sarà addebitat', 'pagamento ricevuto', 'ricevuta', 'già pagat', 'domiciliazione', 'rid#',
  ],
  dunning: [
    'mahnung', 'zahlungserinnerung', 'überfällig', 'ausstehend', 'noch nicht beglichen', 'noch offen', 'mahngebühr', 'verzugszins', 'zahlungsverzug',
    'overdue', 'past due', 'payment reminder', 'reminder of payment', 'unpaid', 'outstanding invoice', 'late fee', 'not yet received your payment',
    'relance', 'rappel de paiement', 'impayé', 'en retard de paiement', 'pénalités de retard', 'retard de paiement', 'non réglée', 'toujours pas reçu',
    'sollecito', 'insoluto', 'non ancora (?:pagat|saldat|ricevuto)', 'scaduta', 'scadute', 'in ritardo', 'mora#', 'interessi di mora',
  ],
  // The step before collection or court.
  finalNotice: [
    'letzte mahnung', 'inkasso', 'betreibung', 'mahnverfahren', 'gerichtlich', 'rechtliche schritte',
    'final notice', 'final reminder', 'debt collection', 'collection agency', 'legal action', 'legal proceedings',
    'mise en demeure', 'dernier rappel', 'recouvrement', 'poursuites', 'procédure judiciaire', 'injonction',
    'ultimo sollecito', 'messa in mora', 'diffida', 'recupero crediti', 'azioni legali', 'decreto ingiuntivo', 'vie legali',
  ],
  legal: [
    'vertrag', 'kündigung', 'kündigen', 'anwalt', 'rechtsanwalt', 'gericht', 'klage', 'rechtlich', 'datenschutz', 'vertraulichkeitsvereinbarung',
    'vereinbarung', 'nachtrag', 'haftung', 'mietvertrag', 'abmahnung', 'agb#', 'allgemeinen geschäftsbedingungen',
    'contract', 'agreement', 'termination', 'terminate', 'lawyer', 'attorney', 'counsel', 'court#', 'lawsuit', 'legal#', 'liability', 'nda#',
    'gdpr', 'terms of service', 'amendment', 'lease#', 'notice of',
    'contrat', 'résiliation', 'résilier', 'avocat', 'tribunal', 'juridique', 'avenant', 'bail#', 'clause', 'conditions générales', 'rgpd', 'litige',
    'contratto', 'disdetta', 'recesso', 'avvocato', 'tribunale', 'legale#', 'accordo', 'clausola', 'condizioni generali', 'locazione', 'contenzioso',
  ],
  meeting: [
    'termin#', 'termine#', 'terminvorschlag', 'besprechung', 'meeting', 'sitzung', 'treffen', 'telefonat', 'videocall', 'jour fixe', 'workshop',
    'kickoff', 'kick-off', 'call#', 'calendar invite', 'appointment', 'conference call', 'zoom#', 'teams-meeting', 'availability', 'verfügbar',
    'réunion', 'rendez-vous', 'rdv#', 'visioconférence', 'point téléphonique', 'créneau', 'disponibilité', 'disponible',
    'riunione', 'incontro', 'appuntamento', 'videochiamata', 'call di', 'disponibilità', 'disponibile',
  ],
  escalation: [
    'beschwerde', 'reklamation', 'inakzeptabel', 'nicht akzeptabel', 'enttäuscht', 'verärgert', 'unzufrieden', 'eskalation', 'eskaliere', 'zum wiederholten mal',
    'immer noch nicht', 'unzumutbar', 'geschäftsleitung',
    'complaint', 'unacceptable', 'disappointed', 'frustrated', 'escalat', 'still not', 'still have not', "still haven't", 'third time',
    'dissatisfied', 'not acceptable',
    'plainte', 'réclamation', 'inacceptable', 'déçu', 'mécontent', 'toujours pas', 'escalade', 'pour la troisième fois', 'insatisfait',
    'reclamo', 'lamentela', 'inaccettabile', 'deluso', 'delusa', 'insoddisfatt', 'ancora non', 'non è accettabile', 'per la terza volta', 'escalation',
  ],
  transactional: [
    'bestellung', 'bestellbestätigung', 'auftragsbestätigung', 'versand', 'versendet', 'sendungsnummer', 'sendungsverfolgung', 'paket', 'zustellung',
    'lieferung', 'ihr konto', 'passwort zurücksetzen', 'bestätigungscode', 'kontoauszug', 'buchungsbestätigung', 'anmeldung bei',
    'your order', 'order confirmation', 'order number', 'shipped', 'shipment', 'tracking number', 'track your', 'out for delivery', 'has been delivered',
    'delivery', 'password reset', 'reset your password', 'verification code', 'statement is available', 'booking confirmation', 'your booking',
    'commande', 'expédié', 'expédition', 'colis', 'livraison', 'numéro de suivi', 'suivi de', 'réinitialis', 'code de vérification', 'relevé',
    'confirmation de réservation',
    'ordine', 'spedizione', 'spedito', 'consegna', 'pacco', 'tracciamento', 'numero di tracking', 'reimposta', 'codice di verifica', 'estratto conto',
    'prenotazione',
  ],
  unsubscribe: [
    'abmelden', 'abbestellen', 'newsletter', 'im browser (?:an)?sehen', 'online ansehen', 'vom newsletter',
    'unsubscribe', 'view in (?:your )?browser', 'manage (?:your )?(?:email )?preferences', 'opt out', 'opt-out',
    'se désabonner', 'vous désabonner', 'désabonnement', 'désinscri', 'voir la version en ligne', 'lettre d\'information',
    'disiscriviti', 'annulla l\'iscrizione', 'cancellati', 'disiscrizione', 'visualizza nel browser', 'versione online',
  ],
  spam: [
    'gewonnen', 'gewinner', 'lotterie', 'million(?:en)? (?:euro|dollar|usd|eur)', 'erbschaft', 'konto (?:wurde )?gesperrt', 'verifizieren sie ihr konto',
    'bitcoin', 'kryptowährung', 'viagra', 'abnehmen ohne', 'schnell reich',
    'you have won', "you've won", 'winner#', 'lottery', 'inheritance', 'beneficiary', 'next of kin', 'million (?:dollars|usd|euros)', 'wire transfer fee',
    'verify your account', 'account (?:has been |will be )?suspended', 'confirm your identity', 'crypto', 'get rich', 'risk-free', 'risk free',
    '100% free', 'act now', 'limited time offer', 'click here to claim', 'claim your prize', 'miracle', 'weight loss', 'casino',
    'vous avez gagné', 'gagnant', 'loterie', 'héritage', 'compte (?:a été )?suspendu', 'vérifiez votre compte', 'cliquez ici', 'gratuit#',
    'hai vinto', 'vincitore', 'lotteria', 'eredità', 'account (?:è stato )?sospeso', 'verifica il tuo account', 'clicca qui', 'gratis#', 'premio#',
  ],
  personal: [
    'liebe grüße', 'lg#', 'herzliche grüße', 'umarmung', 'geburtstag', 'hochzeit', 'ferien', 'urlaub', 'wochenende', 'abendessen', 'grillen',
    'kinder', 'mama', 'papa', 'oma#', 'opa#', 'bussi', 'hab dich lieb',
    'love#', 'hugs', 'xoxo', 'birthday', 'wedding', 'holiday', 'vacation', 'weekend', 'dinner', 'barbecue', 'bbq', 'the kids', 'mum#', 'mom#', 'dad#',
    'bisous', 'bises', 'je t\'embrasse', 'anniversaire', 'mariage', 'vacances', 'week-end', 'dîner', 'les enfants', 'maman',
    'un abbraccio', 'baci#', 'bacioni', 'compleanno', 'matrimonio', 'vacanze', 'fine settimana', 'weekend', 'cena#', 'i bambini', 'mamma',
  ],
  fyi: [
    'zur info', 'zur kenntnis', 'zu ihrer information', 'nur zur information', 'keine aktion', 'kein handlungsbedarf', 'fyi#', 'for your information',
    'for your reference', 'no action (?:is )?(?:needed|required)', 'just to let you know', 'pour info', 'pour information', 'à titre d\'information',
    'aucune action', 'per conoscenza', 'per vostra informazione', 'a titolo informativo', 'nessuna azione',
  ],
  // Explicitly no time pressure.
  noRush: [
    'keine eile', 'nicht dringend', 'eilt nicht', 'wenn du (?:mal )?zeit hast', 'wenn sie (?:mal )?zeit haben', 'bei gelegenheit',
    'no rush', 'no hurry', 'not urgent', 'when you have a moment', 'when you get a chance', 'whenever you can',
    'pas urgent', 'rien ne presse', 'quand tu auras un moment', 'quand vous aurez un moment', 'sans urgence',
    'nessuna fretta', 'non è urgente', 'non urgente', 'con calma', 'quando hai tempo', 'quando avrà tempo',
  ],
  // Polite formulas that look like requests but ask nothing; matched first so `request` does not see them.
  formula: [
    'please find (?:attached|enclosed|below)', 'please see (?:attached|below)', 'please note', 'please be advised', 'please do not reply',
    'please disregard', 'bitte beachten sie', 'bitte nicht (?:auf diese )?(?:e-?mail )?antworten', 'anbei finden sie', 'im anhang finden sie',
    'veuillez trouver', 'veuillez noter', 'vous trouverez', 'merci de ne pas répondre', 'veuillez ne pas répondre',
    'in allegato (?:trov|la|le|il)', 'si prega di non rispondere', 'la preghiamo di non rispondere',
  ],
};

/** Sign-offs that start a signature; a line made only of one of them ends the message body. */
export const SIGN_OFFS = [
  'mit freundlichen grüßen', 'mit freundlichen grüssen', 'freundliche grüße', 'freundliche grüsse', 'viele grüße', 'viele grüsse', 'beste grüße',
  'beste grüsse', 'liebe grüße', 'liebe grüsse', 'herzliche grüße', 'herzliche grüsse', 'lg', 'mfg', 'gruß', 'gruss', 'grüße', 'grüsse', 'danke und gruss',
  'best regards', 'kind regards', 'regards', 'best', 'cheers', 'thanks', 'thank you', 'many thanks', 'best wishes', 'sincerely', 'yours sincerely',
  'yours faithfully', 'warm regards', 'all the best', 'love', 'xoxo',
  'cordialement', 'bien cordialement', 'meilleures salutations', 'salutations', 'sincères salutations', 'bien à vous', 'amitiés', 'bises', 'bisous',
  'merci', 'merci beaucoup', 'à bientôt', 'belle journée',
  'cordiali saluti', 'distinti saluti', 'saluti', 'un saluto', 'un caro saluto', 'grazie', 'grazie mille', 'a presto', 'un abbraccio', 'ciao',
];

/** Greeting line starts (the whole line is a greeting when it is short and starts with one). */
export const GREETINGS = [
  'hallo', 'hi', 'hey', 'liebe', 'lieber', 'sehr geehrte', 'sehr geehrter', 'guten tag', 'guten morgen', 'grüezi', 'servus', 'moin',
  'dear', 'hello', 'good morning', 'good afternoon', 'greetings',
  'bonjour', 'bonsoir', 'salut', 'cher', 'chère', 'chers', 'madame', 'monsieur',
  'ciao', 'buongiorno', 'buonasera', 'gentile', 'gentili', 'caro', 'cara', 'cari', 'egregio', 'salve', 'spettabile',
];
