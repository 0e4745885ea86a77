import { byId, fill, h } from './dom';
import { StudioError } from './errors';

let stream: MediaStream | undefined;

function stop(): void {
  for (const t of stream?.getTracks() ?? []) t.stop();
  stream = undefined;
  fill(byId('webcam'));
}

/**
 * Webcam capture for one class (optional: files always work). Opens a live preview with Capture and
 * Close; each capture becomes a PNG file handed to `onCapture`, exactly like a picked file.
 */
export async function openWebcam(label: string, onCapture: (files: File[]) => void): Promise<void> {
  stop();
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new StudioError(
      'WEBCAM_UNAVAILABLE',
      'this browser offers no webcam access here',
      'add image files instead',
    );
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: false });
  } catch (e) {
    throw new StudioError(
      'WEBCAM_UNAVAILABLE',
      `the webcam could not be opened (${(e as Error).name || 'denied'})`,
      'allow camera access for this page, or add image files instead',
    );
  }
  const video = h('video', {
    autoplay: true,
    muted: true,
    playsinline: true,
    'aria-label': `Webcam preview for ${label}`,
  });
  video.srcObject = stream;
  let n = 0;
  const capture = () => {
    const canvas = h('canvas', { width: video.videoWidth || 320, height: video.videoHeight || 240 });
    canvas.getContext('2d')?.drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob((blob) => {
      if (blob) onCapture([new File([blob], `webcam-${Date.now()}-${++n}.png`, { type: 'image/png' })]);
    }, 'image/png');
  };
  fill(
    byId('webcam'),
    h('p', {}, `Webcam for ${label}`),
    video,
    h(
      'div',
      { class: 'row' },
      h('button', { type: 'button', 'data-testid': 'webcam-capture', onclick: capture }, 'Capture'),
      h('button', { type: 'button', onclick: stop }, 'Close webcam'),
    ),
  );
}
