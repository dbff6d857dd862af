// The interviewer's voice: questions read aloud by the browser's own speech synthesis (the Web
// Speech API: offline, no server cost). The microphone is muted while the voice speaks, so that
// the question is not heard (and transcribed) as the answer.

// About 13 characters a second at the default rate, plus a start-up margin. Some browsers
// (headless Chromium, systems without voices) never fire `end`: this bounds the mute.
const MS_PER_CHAR = 75;
const START_MS = 1500;
const MAX_MS = 45_000;

/** How long reading `text` aloud may take, at most. */
export function speakingTimeMs(text) {
  return Math.min(MAX_MS, START_MS + text.length * MS_PER_CHAR);
}

/** Whether this browser can read aloud at all. */
export function canSpeak() {
  return "speechSynthesis" in window && "SpeechSynthesisUtterance" in window;
}

export class QuestionVoice {
  #mic;
  #current = null; // {finish} while a question is being read

  /** `mic`: the Microphone, held silent while a question is read. */
  constructor(mic) {
    this.#mic = mic;
  }

  get speaking() {
    return this.#current !== null;
  }

  /**
   * Read `text` aloud in `lang` with the microphone muted; resolves once it is done: at the
   * utterance's end or error, at stop(), or after `speakingTimeMs(text)`, whichever is first.
   */
  speak(text, lang) {
    this.stop();
    if (!canSpeak()) return Promise.resolve();
    this.#mic.hold("voice", true);
    return new Promise((resolve) => {
      const entry = {};
      let timer = 0;
      entry.finish = () => {
        // A cancelled utterance fires `error` later: only the current one may unmute.
        if (this.#current !== entry) return;
        this.#current = null;
        clearTimeout(timer);
        this.#mic.hold("voice", false);
        resolve();
      };
      this.#current = entry;
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = lang;
      utterance.addEventListener("end", entry.finish);
      utterance.addEventListener("error", entry.finish);
      timer = setTimeout(entry.finish, speakingTimeMs(text));
      // An earlier utterance that never ended would otherwise hold this one in the queue.
      speechSynthesis.cancel();
      speechSynthesis.speak(utterance);
    });
  }

  /** Stop reading (if it is) and give the microphone back. */
  stop() {
    const current = this.#current;
    if (!current) return;
    if (canSpeak()) speechSynthesis.cancel();
    current.finish();
  }
}
