/** The CLI's Server-Sent Events parser, case by case against the text/event-stream format. */
import { SseParser } from '../../cli/sse';

const parse = (...chunks: string[]) => {
  const p = new SseParser();
  return { messages: chunks.flatMap((c) => p.feed(c)), parser: p };
};

describe('SseParser', () => {
  const cases: [string, string[], { event: string; data: string; id: string | undefined }[]][] = [
    ['one message', ['id: 1-0\nevent: rollout\ndata: {"a":1}\n\n'], [{ event: 'rollout', data: '{"a":1}', id: '1-0' }]],
    ['default event name', ['data: x\n\n'], [{ event: 'message', data: 'x', id: undefined }]],
    ['multi-line data joins with newlines', ['data: a\ndata: b\n\n'], [{ event: 'message', data: 'a\nb', id: undefined }]],
    ['comments are heartbeats, not messages', [': ping\n\n: ping\n\n'], []],
    ['no space after the colon', ['data:x\n\n'], [{ event: 'message', data: 'x', id: undefined }]],
    ['only one leading space is removed', ['data:  x\n\n'], [{ event: 'message', data: ' x', id: undefined }]],
    ['CRLF line ends', ['event: health\r\ndata: y\r\n\r\n'], [{ event: 'health', data: 'y', id: undefined }]],
    ['CR line ends', ['data: y\r\r'], [{ event: 'message', data: 'y', id: undefined }]],
    ['CRLF split between chunks', ['data: y\r', '\n\r', '\n'], [{ event: 'message', data: 'y', id: undefined }]],
    [
      'a message split anywhere',
      ['ev', 'ent: rollout\nda', 'ta: {"a"', ':1}\n', '\n'],
      [{ event: 'rollout', data: '{"a":1}', id: undefined }],
    ],
    ['no blank line yet: nothing dispatched', ['data: x\n'], []],
    ['an event with no data is not dispatched', ['event: rollout\n\ndata: z\n\n'], [{ event: 'message', data: 'z', id: undefined }]],
    ['unknown fields are ignored', ['foo: bar\ndata: z\n\n'], [{ event: 'message', data: 'z', id: undefined }]],
    ['a byte-order mark at the start is dropped', ['\ufeffdata: z\n\n'], [{ event: 'message', data: 'z', id: undefined }]],
    [
      'the id carries over to later messages',
      ['id: 5-0\ndata: a\n\ndata: b\n\n'],
      [
        { event: 'message', data: 'a', id: '5-0' },
        { event: 'message', data: 'b', id: '5-0' },
      ],
    ],
    ['an id with NUL is ignored', ['id: 1\0\ndata: a\n\n'], [{ event: 'message', data: 'a', id: undefined }]],
  ];
  it.each(cases)('%s', (_name, chunks, expected) => {
    expect(parse(...chunks).messages).toEqual(expected);
  });

  it('keeps the last event id for a reconnect, even from a message without data', () => {
    expect(parse('id: 7-1\n\n').parser.lastEventId).toBe('7-1');
  });

  it('starts from the id it resumes after', () => {
    expect(new SseParser('3-0').feed('data: a\n\n')).toEqual([{ event: 'message', data: 'a', id: '3-0' }]);
  });

  it('takes the reconnection delay the server asks for, and ignores a bad one', () => {
    expect(parse('retry: 2500\n\n').parser.retryMs).toBe(2500);
    expect(parse('retry: soon\n\n').parser.retryMs).toBeUndefined();
  });
});
