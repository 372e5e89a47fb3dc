/** Streaming transfer decoding for attachment bodies kept encoded in the stored source. */

const NOT_BASE64 = /[^A-Za-z0-9+/]/g;

/**
 * Decodes a base64 body that arrives in pieces (line breaks and chunk borders anywhere). Holds at
 * most three characters between pieces, so memory stays at one piece.
 */
export async function* decodeBase64Stream(pieces: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let carry = '';
  for await (const piece of pieces) {
    const text = carry + piece.toString('latin1').replace(NOT_BASE64, '');
    const usable = text.length - (text.length % 4);
    if (usable > 0) yield Buffer.from(text.slice(0, usable), 'base64');
    carry = text.slice(usable);
  }
  if (carry.length > 1) yield Buffer.from(carry, 'base64');
}
