"""No-download whole-body backend: Google's MediaPipe BlazePose models (Apache-2.0), run with LiteRT.

`assets` fetches the trained .tflite files once, `runtime` runs them, `blazepose_detector`
finds people, `body`/`hands`/`face` cut ROIs and decode landmarks, `estimator` puts them
behind the same interface as the FastPose estimator.
"""
