import numpy as np

from alphapose_ros.core.people3d.body_frames import rotation_to_quaternion, torso_frames
from alphapose_ros.core.people3d.tf_buffer import Rigid
from alphapose_ros.core.skeletons import get_format

NAMES = get_format("coco_17").names


def person(facing: np.ndarray, up=np.array([0.0, 0.0, 1.0]), at=np.zeros(3)) -> np.ndarray:
    """COCO-17 points of an upright torso facing `facing` (unit, horizontal), in a z-up world."""
    left = np.cross(up, facing)
    xyz = np.full((17, 3), np.nan)
    for name, p in {"left_shoulder": 0.2 * left + 0.5 * up, "right_shoulder": -0.2 * left + 0.5 * up,
                    "left_hip": 0.1 * left - 0.0 * up, "right_hip": -0.1 * left}.items():
        xyz[NAMES.index(name)] = at + p
    return xyz


def test_the_body_frame_looks_out_of_the_chest_with_z_up_the_spine():
    facing = np.array([0.0, -1.0, 0.0])  # facing the world's -y
    origin, rot, ok = torso_frames(person(facing, at=np.array([2.0, 3.0, 0.9]))[None], "coco_17")
    assert ok.all()
    np.testing.assert_allclose(origin[0], [2.0, 3.0, 0.9 + 0.25])
    np.testing.assert_allclose(rot[0][:, 0], facing, atol=1e-12)     # x: forward
    np.testing.assert_allclose(rot[0][:, 2], [0.0, 0.0, 1.0], atol=1e-12)  # z: up the spine
    np.testing.assert_allclose(rot[0][:, 1], [1.0, 0.0, 0.0], atol=1e-12)  # y: the person's left


def test_a_person_lying_down_has_z_along_the_floor_and_people_without_a_torso_get_no_frame():
    lying = person(np.array([0.0, 0.0, 1.0]), up=np.array([1.0, 0.0, 0.0]))  # head towards +x, chest up
    missing = person(np.array([1.0, 0.0, 0.0]))
    missing[NAMES.index("left_shoulder")] = np.nan
    _, rot, ok = torso_frames(np.stack([lying, missing]), "coco_17")
    assert ok.tolist() == [True, False]
    np.testing.assert_allclose(rot[0][:, 2], [1.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(rot[0][:, 0], [0.0, 0.0, 1.0], atol=1e-12)
    np.testing.assert_array_equal(rot[1], np.eye(3))


def test_quaternions_give_back_the_rotations():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(200, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    q *= np.where(q[:, 3:] < 0, -1, 1)
    q[:4] = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]  # the 180-degree turns and the identity
    rot = np.stack([Rigid(np.zeros(3), qi).matrix() for qi in q])
    back = rotation_to_quaternion(rot)
    same = np.minimum(np.abs(back - q).max(1), np.abs(back + q).max(1))
    assert same.max() < 1e-9
